//! TICKscript parser: tokens → [`Program`].
//!
//! Precedence, lowest first: `OR`, `AND`, comparisons (`== != < <= > >= =~ !~`),
//! `+ -`, `* / %`, unary `! -`, chains (`|`, `.`, `@`) and primaries.

use super::ast::{ChainOp, Expr, Program, Statement, VarType};
use super::lexer::{lex, Tok, Token};
use super::{Pos, TickError};

/// Parses a whole script.
pub fn parse(src: &str) -> Result<Program, TickError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        tokens,
        i: 0,
        depth: 0,
    };
    let mut statements = Vec::new();
    while p.peek() != &Tok::Eof {
        statements.push(p.statement()?);
    }
    Ok(Program { statements })
}

/// Parses a lambda body alone (as written after `lambda:`).
pub fn parse_lambda_body(src: &str) -> Result<Expr, TickError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        tokens,
        i: 0,
        depth: 0,
    };
    let e = p.expr()?;
    p.expect_eof()?;
    Ok(e)
}

/// Deepest nesting accepted (keeps recursion bounded on hostile input).
const MAX_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<Token>,
    i: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.i.min(self.tokens.len() - 1)].tok
    }

    fn pos(&self) -> Pos {
        self.tokens[self.i.min(self.tokens.len() - 1)].pos
    }

    fn next(&mut self) -> Token {
        let t = self.tokens[self.i.min(self.tokens.len() - 1)].clone();
        if self.i < self.tokens.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn unexpected(&self, expected: &str) -> TickError {
        TickError::at(
            self.pos(),
            format!("unexpected {}, expected {expected}", self.peek().describe()),
        )
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<Pos, TickError> {
        if *self.peek() == tok {
            Ok(self.next().pos)
        } else {
            Err(self.unexpected(what))
        }
    }

    fn expect_eof(&mut self) -> Result<(), TickError> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected("end of expression"))
        }
    }

    fn statement(&mut self) -> Result<Statement, TickError> {
        match self.peek() {
            Tok::Var => {
                let pos = self.next().pos;
                let name = match self.next().tok {
                    Tok::Ident(n) => n,
                    _ => {
                        self.i -= 1;
                        return Err(self.unexpected("identifier"));
                    }
                };
                if *self.peek() == Tok::Assign {
                    self.next();
                    let value = self.expr()?;
                    return Ok(Statement::Var { name, value, pos });
                }
                let tpos = self.pos();
                let ty = match self.peek() {
                    Tok::Ident(t) => VarType::from_name(t),
                    Tok::Lambda => Some(VarType::Lambda),
                    _ => None,
                };
                match ty {
                    Some(ty) => {
                        self.next();
                        Ok(Statement::Declare { name, ty, pos })
                    }
                    None => Err(TickError::at(
                        tpos,
                        format!(
                            "unexpected {}, expected \"=\" or a type (int, float, string, bool, duration, lambda, regex, list, star)",
                            self.peek().describe()
                        ),
                    )),
                }
            }
            Tok::Dbrp => {
                let pos = self.next().pos;
                let db = match self.next().tok {
                    Tok::Reference(s) => s,
                    _ => {
                        self.i -= 1;
                        return Err(self.unexpected("a quoted database name"));
                    }
                };
                self.expect(Tok::Dot, "\".\"")?;
                let rp = match self.next().tok {
                    Tok::Reference(s) => s,
                    _ => {
                        self.i -= 1;
                        return Err(self.unexpected("a quoted retention policy name"));
                    }
                };
                Ok(Statement::Dbrp { db, rp, pos })
            }
            _ => Ok(Statement::Expr(self.expr()?)),
        }
    }

    fn expr(&mut self) -> Result<Expr, TickError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(TickError::at(self.pos(), "expression nested too deeply"));
        }
        let r = self.binary(0);
        self.depth -= 1;
        r
    }

    fn binary(&mut self, level: usize) -> Result<Expr, TickError> {
        const LEVELS: &[&[&str]] = &[
            &["OR"],
            &["AND"],
            &["==", "!=", "<", "<=", ">", ">=", "=~", "!~"],
            &["+", "-"],
            &["*", "/", "%"],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        loop {
            let op = match self.peek() {
                Tok::Op(op) if LEVELS[level].contains(op) => *op,
                _ => return Ok(lhs),
            };
            let pos = self.next().pos;
            let rhs = self.binary(level + 1)?;
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                pos,
            };
        }
    }

    fn unary(&mut self) -> Result<Expr, TickError> {
        if let Tok::Op(op @ ("-" | "!")) = self.peek() {
            let op = *op;
            let pos = self.next().pos;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(TickError::at(pos, "expression nested too deeply"));
            }
            let expr = self.unary();
            self.depth -= 1;
            let expr = expr?;
            // Fold negative literals so `-5` is one value.
            return Ok(match (op, expr) {
                ("-", Expr::Int(i, _)) => Expr::Int(-i, pos),
                ("-", Expr::Float(f, _)) => Expr::Float(-f, pos),
                ("-", Expr::Duration(d, _)) => Expr::Duration(-d, pos),
                (op, expr) => Expr::Unary {
                    op,
                    expr: Box::new(expr),
                    pos,
                },
            });
        }
        let mut e = self.primary()?;
        loop {
            let op = match self.peek() {
                Tok::Pipe => ChainOp::Pipe,
                Tok::Dot => ChainOp::Dot,
                Tok::At => ChainOp::At,
                _ => return Ok(e),
            };
            self.next();
            let pos = self.pos();
            let name = match self.next().tok {
                Tok::Ident(n) => n,
                _ => {
                    self.i -= 1;
                    return Err(self.unexpected("a node or property name"));
                }
            };
            self.expect(Tok::LParen, "\"(\"")?;
            let args = self.args(Tok::RParen)?;
            e = Expr::Chain {
                lhs: Box::new(e),
                op,
                name,
                args,
                pos,
            };
        }
    }

    fn args(&mut self, close: Tok) -> Result<Vec<Expr>, TickError> {
        let mut args = Vec::new();
        if *self.peek() == close {
            self.next();
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if *self.peek() == Tok::Comma {
                self.next();
                continue;
            }
            let what = if close == Tok::RParen {
                "\",\" or \")\""
            } else {
                "\",\" or \"]\""
            };
            self.expect(close.clone(), what)?;
            return Ok(args);
        }
    }

    fn primary(&mut self) -> Result<Expr, TickError> {
        let t = self.next();
        let pos = t.pos;
        Ok(match t.tok {
            Tok::Ident(name) => {
                if *self.peek() == Tok::LParen {
                    self.next();
                    let args = self.args(Tok::RParen)?;
                    Expr::Call { name, args, pos }
                } else {
                    Expr::Ident(name, pos)
                }
            }
            Tok::Reference(s) => Expr::Reference(s, pos),
            Tok::Str(s) => Expr::Str(s, pos),
            Tok::Int(i) => Expr::Int(i, pos),
            Tok::Float(f) => Expr::Float(f, pos),
            Tok::Duration(d) => Expr::Duration(d, pos),
            Tok::Regex(r) => {
                if let Err(e) = regex::Regex::new(&r) {
                    return Err(TickError::at(pos, format!("invalid regex /{r}/: {e}")));
                }
                Expr::Regex(r, pos)
            }
            Tok::Bool(b) => Expr::Bool(b, pos),
            Tok::Star => Expr::Star(pos),
            Tok::LBracket => Expr::List(self.args(Tok::RBracket)?, pos),
            Tok::Lambda => {
                self.expect(Tok::Colon, "\":\"")?;
                Expr::Lambda(Box::new(self.expr()?), pos)
            }
            Tok::LParen => {
                let e = self.expr()?;
                self.expect(Tok::RParen, "\")\"")?;
                e
            }
            _ => {
                self.i -= 1;
                return Err(self.unexpected("an expression"));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_alert() {
        let src = r#"
// CPU alert
dbrp "telegraf"."autogen"
var warn = 80.0
var period duration
stream
    |from()
        .measurement('cpu')
        .where(lambda: "host" =~ /^server/ AND "cpu" == 'cpu-total')
        .groupBy(*)
    |window().period(period).every(10s)
    |mean('usage_idle').as('idle')
    |alert()
        .crit(lambda: 100.0 - "idle" > warn)
        .message('''{{ .ID }} is {{ .Level }}''')
    @myudf().opt(1)
"#;
        let prog = parse(src).unwrap();
        assert_eq!(prog.statements.len(), 4);
        assert!(matches!(prog.statements[1], Statement::Var { .. }));
        assert!(matches!(
            prog.statements[2],
            Statement::Declare {
                ty: VarType::Duration,
                ..
            }
        ));
        let Statement::Expr(e) = &prog.statements[3] else {
            panic!()
        };
        let text = e.to_string();
        assert!(
            text.starts_with(
                "stream|from().measurement('cpu').where(lambda: ((\"host\" =~ /^server/) AND"
            ),
            "{text}"
        );
        assert!(text.ends_with("@myudf().opt(1)"), "{text}");
    }

    #[test]
    fn precedence() {
        let e = parse_lambda_body("1 + 2 * 3 > 4 OR !TRUE AND -\"x\" < 2").unwrap();
        assert_eq!(
            e.to_string(),
            "(((1 + (2 * 3)) > 4) OR (!TRUE AND (-\"x\" < 2)))"
        );
    }

    #[test]
    fn errors_name_line_and_char() {
        let err = parse("stream\n  |from(\n  |window()").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3 char 3: unexpected |, expected an expression"
        );
        let err = parse("var x").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 1 char 6: unexpected end of script"),
            "{err}"
        );
        let err = parse("stream|from().where(lambda: \"a\" =~ /(/)").unwrap_err();
        assert!(
            err.to_string().starts_with("line 1 char 36: invalid regex"),
            "{err}"
        );
    }
}
